/* placeholder: console.c is being written */
int cdht_placeholder_console;
