"""Amazon Kinesis Firehose partner."""
