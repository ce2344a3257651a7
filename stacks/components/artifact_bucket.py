"""The S3 bucket to which code running in the sandbox copies its results."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

# Abandoned multipart uploads are invisible in listings but still billed.
INCOMPLETE_UPLOAD_DAYS = 1


class ArtifactBucket(Construct):
    """Private, encrypted, versioned bucket whose objects expire after the retention period."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        artifact_prefix: str,
        retention_days: int,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.artifact_prefix = artifact_prefix
        destroy = removal_policy == RemovalPolicy.DESTROY
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireArtifacts",
                    expiration=Duration.days(retention_days),
                    # Overwritten or deleted artifacts stay recoverable for as long as live ones.
                    noncurrent_version_expiration=Duration.days(retention_days),
                    abort_incomplete_multipart_upload_after=Duration.days(INCOMPLETE_UPLOAD_DAYS),
                )
            ],
            removal_policy=removal_policy,
            # A versioned bucket cannot be deleted while it holds objects, so `destroy` would
            # otherwise fail on the first stack deletion after any artifact was written.
            auto_delete_objects=destroy,
        )

    @property
    def bucket_name(self) -> str:
        return self.bucket.bucket_name

    @property
    def bucket_arn(self) -> str:
        return self.bucket.bucket_arn

    def objects_arn(self) -> str:
        """ARN pattern of the objects under the artifact prefix, and only those."""
        return self.bucket.arn_for_objects(f"{self.artifact_prefix}*")
