"""The S3 bucket to which code running in the sandbox copies its results, and its access logs."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.compliance import acknowledge, resource_of, skip_checkov

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

        no_replication = (
            "Artifacts and their access logs are short-lived working data that expire by"
            " lifecycle rule; a cross-region copy would outlive the retention period."
        )
        bucket_findings = {"NIST.800.53.R5-S3BucketReplicationEnabled": no_replication}
        if self.key is None:
            bucket_findings["NIST.800.53.R5-S3DefaultEncryptionKMS"] = (
                "Encrypted with S3-managed keys (SSE-S3) by default; set artifact_kms: true for"
                " a customer-managed, rotated KMS key."
            )
        acknowledge(resource_of(self.bucket), bucket_findings)
        access_logs = resource_of(self.access_logs)
        acknowledge(
            access_logs,
            {
                "NIST.800.53.R5-S3BucketReplicationEnabled": no_replication,
                "NIST.800.53.R5-S3DefaultEncryptionKMS": (
                    "S3 server access logging delivers only to buckets encrypted with S3-managed"
                    " keys (SSE-S3); the logs hold request metadata, not artifact contents."
                ),
            },
        )
        skip_checkov(
            access_logs,
            {
                "CKV_AWS_18": "This is the access-log bucket of the artifact bucket; logging it"
                " would need yet another bucket, or loop into itself."
            },
        )
        if empty_on_delete:
            self._skip_checks_of_cdk_bucket_emptier()

    def _skip_checks_of_cdk_bucket_emptier(self) -> None:
        """aws-cdk-lib's singleton function behind auto_delete_objects offers no settings."""
        provider = Stack.of(self).node.find_child(
            "Custom::S3AutoDeleteObjectsCustomResourceProvider"
        )
        handler = provider.node.find_child("Handler")
        reasons = {
            "CKV_AWS_115": "Runs only when the stack is deleted; reserving concurrency would take"
            " capacity from the account for nothing.",
            "CKV_AWS_116": "Invoked by CloudFormation on stack deletion, which reports any"
            " failure on the stack event.",
            "CKV_AWS_117": "Calls only the S3 API to empty this stack's buckets; a VPC would add"
            " endpoints and nothing to protect.",
        }
        skip_checkov(handler, reasons)

    @property
    def bucket_name(self) -> str:
        return self.bucket.bucket_name

    @property
    def bucket_arn(self) -> str:
        return self.bucket.bucket_arn

    def objects_arn(self) -> str:
        """ARN pattern of the objects under the artifact prefix, and only those."""
        return self.bucket.arn_for_objects(f"{self.artifact_prefix}*")

    def prefix_statements(
        self, *, sid: str, object_actions: Sequence[str], key_actions: Sequence[str]
    ) -> list[iam.PolicyStatement]:
        """Object actions under the artifact prefix, listing only that prefix, and (with a
        customer-managed key) the key, usable only through S3."""
        statements = [
            iam.PolicyStatement(
                sid=f"{sid}Objects", actions=list(object_actions), resources=[self.objects_arn()]
            ),
            iam.PolicyStatement(
                sid=f"{sid}List",
                actions=["s3:ListBucket"],
                resources=[self.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{self.artifact_prefix}*"]}},
            ),
        ]
        if self.key is not None:
            region = Stack.of(self).region
            statements.append(
                iam.PolicyStatement(
                    sid=f"{sid}Key",
                    actions=list(key_actions),
                    resources=[self.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
                )
            )
        return statements
