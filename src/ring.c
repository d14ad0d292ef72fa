/* placeholder: ring.c is being written */
int cdht_placeholder_ring;
