"""AWS access: small repositories and channels that take a boto3 client, return domain models."""
