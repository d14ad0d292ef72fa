/* placeholder: clock.c is being written */
int cdht_placeholder_clock;
