"""boto3 helper of the Slurm S3 variant (AWS_ENDPOINT_URL and keys from the environment):
  s3.py up BUCKET PREFIX DIR...   make BUCKET, upload every file of each DIR to PREFIX/<dir name>/
  s3.py down BUCKET PREFIX DIR    every object under PREFIX/ into DIR (keys relative to PREFIX)
"""
import os
import sys

import boto3

s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
op, bucket, prefix = sys.argv[1:4]
if op == "up":
    s3.create_bucket(Bucket=bucket)
    for d in sys.argv[4:]:
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if os.path.isfile(path):
                s3.upload_file(path, bucket, f"{prefix}/{os.path.basename(d)}/{name}")
else:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for o in page.get("Contents", []):
            dst = os.path.join(sys.argv[4], o["Key"][len(prefix) + 1:])
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            s3.download_file(bucket, o["Key"], dst)
