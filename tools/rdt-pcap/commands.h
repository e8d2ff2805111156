/*
 * commands.h: the rdt-pcap commands, each called with its own arguments
 * (argv[0] is the command's name) and returning the process exit status.
 */
#ifndef RDT_PCAP_COMMANDS_H
#define RDT_PCAP_COMMANDS_H

int cmd_capture(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_decrypt(int argc, char **argv);
int cmd_plot(int argc, char **argv);

/* Their usage text, for "rdt-pcap --help" and "rdt-pcap CMD --help". */
extern const char capture_usage[];
extern const char check_usage[];
extern const char decrypt_usage[];
extern const char plot_usage[];

#endif
