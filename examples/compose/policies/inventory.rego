# Read-only tools are allowed; everything else is refused (a human may change that here: the
# file is mounted read-only and picked up by the config reload).
package toolwall

import rego.v1

default decision := {"allow": false, "reasons": ["no_rule_allows_this_call"]}

decision := {"allow": true, "reasons": []} if input.tool.read_only
