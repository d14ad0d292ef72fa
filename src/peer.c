/* placeholder: peer.c is being written */
int cdht_placeholder_peer;
