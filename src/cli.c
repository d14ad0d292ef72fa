/* placeholder: cli.c is being written */
int cdht_placeholder_cli;
