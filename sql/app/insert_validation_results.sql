INSERT INTO validation_results
    (run_id, seq, as_of, source, dataset, suite, expectation, check_name, column_name, success,
     severity, observed_value, element_count, unexpected_count, unexpected_sample, batch_path,
     validated_at)
SELECT run_id, seq, as_of, source, dataset, suite, expectation, check_name, column_name, success,
       severity, observed_value, element_count, unexpected_count, unexpected_sample, batch_path,
       validated_at
FROM read_parquet($path);
