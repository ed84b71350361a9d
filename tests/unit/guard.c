/* placeholder */
int guard_placeholder;
