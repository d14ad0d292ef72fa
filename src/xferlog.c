/* placeholder: xferlog.c is being written */
int cdht_placeholder_xferlog;
