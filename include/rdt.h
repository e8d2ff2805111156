/*
 * rdt.h: the public interface of librdt, a reliable, ordered byte-stream
 * transport over UDP with an API modelled on BSD stream sockets.
 *
 * This is the only header a program using librdt includes.  Every function
 * declared here is marked RDT_EXTERN; nothing else is exported from the
 * shared library.  The socket calls (rdt_socket, rdt_connect, ...) are not
 * here yet.
 */
#ifndef RDT_H
#define RDT_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * RDT_EXTERN marks a symbol as part of the public ABI.  The library is
 * compiled with -fvisibility=hidden and -DBUILDING_RDT, so only symbols
 * carrying this mark are exported; for programs that include this header
 * the mark is empty.
 */
#if defined(BUILDING_RDT) && (defined(__GNUC__) || defined(__clang__))
#define RDT_EXTERN __attribute__((visibility("default")))
#else
#define RDT_EXTERN
#endif

/*
 * The version of this header.  These three numbers are the single source
 * of the package version: configure reads them from this file.  The
 * library's ABI version (libtool -version-info) is separate and lives in
 * configure.ac.
 */
#define RDT_VERSION_MAJOR 0
#define RDT_VERSION_MINOR 1
#define RDT_VERSION_PATCH 0

#define RDT_VERSION_STR_(x) #x
#define RDT_VERSION_XSTR_(x) RDT_VERSION_STR_(x)

/* The version as a string, "MAJOR.MINOR.PATCH", e.g. "0.1.0". */
#define RDT_VERSION_STRING                                                  \
	RDT_VERSION_XSTR_(RDT_VERSION_MAJOR) "."                            \
	RDT_VERSION_XSTR_(RDT_VERSION_MINOR) "."                            \
	RDT_VERSION_XSTR_(RDT_VERSION_PATCH)

/*
 * The version as one number, 0xMMmmpp, for compile-time comparisons:
 * #if RDT_VERSION_HEX >= 0x000200.
 */
#define RDT_VERSION_HEX                                                     \
	((RDT_VERSION_MAJOR << 16) | (RDT_VERSION_MINOR << 8) |             \
	 RDT_VERSION_PATCH)

/*
 * rdt_version - version of the library linked at run time
 *
 * Returns the library's version as "MAJOR.MINOR.PATCH", the value of
 * RDT_VERSION_STRING when the library was built.  Compare it with
 * RDT_VERSION_STRING to detect a program running against a different
 * library than the header it was compiled with.
 *
 * The string is static and owned by the library: never free or modify it.
 * The call cannot fail, takes no locks and is safe from any thread.
 */
RDT_EXTERN const char *rdt_version(void);

#ifdef __cplusplus
}
#endif

#endif
