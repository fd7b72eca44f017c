/*
 * status.c — version, status and component names from their X-macro lists.
 */
#include "remit.h"

const char *remit_version(void)
{
	return REMIT_VERSION_STRING;
}

const char *remit_status_name(int status)
{
	switch (status) {
#define NAME(name, value, msg)                                                                    \
	case value:                                                                               \
		return #name;
		REMIT_STATUS_MAP(NAME)
#undef NAME
	}
	return "EUNKNOWN";
}

const char *remit_strerror(int status)
{
	switch (status) {
#define MSG(name, value, msg)                                                                     \
	case value:                                                                               \
		return msg;
		REMIT_STATUS_MAP(MSG)
#undef MSG
	}
	return "unknown status";
}

const char *remit_component_name(remit_component c)
{
	static const char *const names[] = {
#define TEXT(name, text) text,
		REMIT_COMPONENT_MAP(TEXT)
#undef TEXT
	};
	return (unsigned)c < REMIT_C_COUNT ? names[c] : "unknown";
}
