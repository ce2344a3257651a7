"""The S3 bucket to which code running in the sandbox copies its results, and its access logs."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

# Abandoned multipart uploads are invisible in listings but still billed.
INCOMPLETE_UPLOAD_DAYS = 1
# Access logs answer "who read or wrote which artifact"; keep them for an audit year at least.
MIN_ACCESS_LOG_RETENTION_DAYS = 365


class ArtifactBucket(Construct):
    """Private, encrypted, versioned bucket whose objects expire after the retention period.

    Every request to it is recorded by S3 server access logging in a second, dedicated bucket.
    With `customer_managed_key`, objects are encrypted with a KMS key of this stack (rotated
    yearly) instead of S3-managed keys.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        artifact_prefix: str,
        retention_days: int,
        removal_policy: RemovalPolicy,
        customer_managed_key: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.artifact_prefix = artifact_prefix
        # A versioned bucket cannot be deleted while it holds objects, so `destroy` would
        # otherwise fail on the first stack deletion after any artifact was written.
        empty_on_delete = removal_policy == RemovalPolicy.DESTROY

        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            # S3 server access logging delivers only to buckets encrypted with S3-managed keys.
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAccessLogs",
                    expiration=Duration.days(max(retention_days, MIN_ACCESS_LOG_RETENTION_DAYS)),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(INCOMPLETE_UPLOAD_DAYS),
                )
            ],
            removal_policy=removal_policy,
            auto_delete_objects=empty_on_delete,
        )

        self.key: kms.Key | None = None
        if customer_managed_key:
            self.key = kms.Key(
                self,
                "Key",
                description="Encrypts the code interpreter's artifacts",
                enable_key_rotation=True,
                removal_policy=removal_policy,
            )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            encryption=(s3.BucketEncryption.KMS if self.key else s3.BucketEncryption.S3_MANAGED),
            encryption_key=self.key,
            # One data key per bucket instead of per object: far fewer KMS calls from the sandbox.
            bucket_key_enabled=True if self.key else None,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="artifacts/",
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
            auto_delete_objects=empty_on_delete,
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
