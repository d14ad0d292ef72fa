/* placeholder: wire.c is being written */
int cdht_placeholder_wire;
