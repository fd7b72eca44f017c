/*
 * plugin.h — the registry of plugin module types (see remit.h, "plugin
 * modules", for the public side).
 *
 * A plugin (a remit_plugin: public types only) is wrapped by plugin.c as an
 * internal remit__module_type, so regime loading finds it by name exactly
 * as it finds a built-in.  The registry is process-wide and append-only:
 * a registered type is never removed, so pointers to it stay valid for the
 * life of the process, and lookups need no lock.
 */
#ifndef REMIT_PLUGIN_H
#define REMIT_PLUGIN_H

#include "module.h"

/* The registered plugin type called `name`, or NULL.  Safe on any thread,
 * concurrently with registration. */
const remit__module_type *remit__plugin_type_find(const char *name);

/* "tariff, bundle, ..., perdiem": the built-in names (a NULL-terminated
 * array) followed by the plugins', for messages.  The string stays valid
 * for the life of the process. */
const char *remit__plugin_type_names(const remit__module_type *const *builtins);

#endif
