/* placeholder: log.c is being written */
int cdht_placeholder_log;
