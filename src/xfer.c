/* placeholder: xfer.c is being written */
int cdht_placeholder_xfer;
