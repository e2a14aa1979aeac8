// SPDX-License-Identifier: Apache-2.0
/* The smallest program exec can run: the exec benchmark times the kernel's
 * execve path and Syva's hooks on it, not a program's start-up. */
int main(void) { return 0; }
