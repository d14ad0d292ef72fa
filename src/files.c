/* placeholder: files.c is being written */
int cdht_placeholder_files;
