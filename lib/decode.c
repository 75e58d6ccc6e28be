/* decode.c - placeholder until the module lands */
