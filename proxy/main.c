/* proxy/main.c: placeholder until the front door lands (issue 2). */
int main(void) { return 0; }
