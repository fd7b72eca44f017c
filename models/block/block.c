/*
 * block.c — placeholder: the block module is being written (see the issue).
 */
#include "engine.h"

static const remit__key keys[] = {{NULL, false}};

static remit__module *parse(remit__loader *L, const yaml_node_t *map)
{
	remit__rules_error(L, map, "block: this module is not available in this version of remit");
	return NULL;
}

const remit__module_type remit__block_module = {
	.version = REMIT__MODULE_VERSION,
	.name = "block",
	.keys = keys,
	.parse = parse,
};
