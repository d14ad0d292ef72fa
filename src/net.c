/* placeholder: net.c is being written */
int cdht_placeholder_net;
