/* placeholder: input.c is being written */
int cdht_placeholder_input;
