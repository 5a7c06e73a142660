"""`import` offline: the objects that exist are those of Terraform states given to the provider.

The offline provider has no AWS account to read an object from; OFFLINE_AWS_IMPORT_STATE names
states (e.g. an old configuration's, applied with this provider) whose managed objects stand
for what exists in the account.
"""

import json


def import_lookup(state_paths, type_name, import_id):
    """The attributes of the TYPE_NAME object that IMPORT_ID names in the states STATE_PATHS."""
    for path in filter(None, state_paths.split(":")):
        with open(path) as fh:
            state = json.load(fh)
        for res in state.get("resources", []):
            if res.get("mode") != "managed" or res.get("type") != type_name:
                continue
            for instance in res.get("instances", []):
                attrs = instance.get("attributes") or {}
                names = {attrs.get("id"), attrs.get("name"), f"{attrs.get('api_id')}/{attrs.get('id')}"}
                if import_id in names:
                    return attrs
    return None
