/* synth.h — `remit synth`: synthetic activity, population and regimes (synth.c). */
#ifndef REMIT_SYNTH_H
#define REMIT_SYNTH_H

/* argv[0] is "synth"; returns the process exit code (0 ok, 2 usage, 4 an
 * output could not be written). */
int remit_synth_main(int argc, char **argv);

#endif
