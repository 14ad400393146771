DELETE FROM model_versions WHERE model_version IN (SELECT model_version FROM staged);
INSERT INTO model_versions BY NAME SELECT * FROM staged;
