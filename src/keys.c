/* placeholder: keys.c is being written */
int cdht_placeholder_keys;
