INSERT OR REPLACE INTO pipeline_runs
    (run_id, step, as_of, status, started_at, finished_at, rows_written, data_snapshot, message)
VALUES ($run_id, $step, $as_of, $status, $started_at, $finished_at, $rows_written, $data_snapshot, $message);
