/*
 * year_of_care.c — placeholder: the year_of_care module is being written (see the issue).
 */
#include "engine.h"

static const remit__key keys[] = {{NULL, false}};

static remit__module *parse(remit__loader *L, const yaml_node_t *map)
{
	remit__rules_error(L, map, "year_of_care: this module is not available in this version of remit");
	return NULL;
}

const remit__module_type remit__year_of_care_module = {
	.version = REMIT__MODULE_VERSION,
	.name = "year_of_care",
	.keys = keys,
	.parse = parse,
};
