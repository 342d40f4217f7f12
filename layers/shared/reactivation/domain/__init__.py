"""Pure domain logic: rules, templates, classification, metrics. No AWS, clock or environment."""
