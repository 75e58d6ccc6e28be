/* arf.c - placeholder until the module lands */
