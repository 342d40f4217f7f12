"""The operator's and developer's tools: the CLI, the local stack, the demo and simulation,
preview, onboarding and exports. Installed for development and operation, never shipped in
the Lambda layer; the production package `reactivation` never imports it."""
