/* mail.c - placeholder until the module lands */
