"""The local stack: moto's server on 127.0.0.1 stands in for AWS, built from template.yaml."""
