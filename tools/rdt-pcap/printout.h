/*
 * printout.h: one line per rdt datagram, as "rdt-pcap capture" prints a
 * live capture without -w and "rdt-pcap check --verbose" a file.
 */
#ifndef RDT_PCAP_PRINTOUT_H
#define RDT_PCAP_PRINTOUT_H

#include <stdio.h>

#include "reader.h"

/*
 * print_dgram_line writes |d| as one line to |f|: capture time,
 * addresses, type, dcid, pn and the fields of its type.  A sealed
 * datagram says so with its length on the wire; opened, its fields
 * follow as for one in clear; not opened, what stopped it (no key,
 * keys unknown, failed authentication) ends the line.
 */
void print_dgram_line(FILE *f, const struct rdt_dgram *d);

#endif
