-- The neural evaluation is recomputed whole each analytics run: every run replaces all of it.
DELETE FROM neural_evaluation;
DELETE FROM neural_refit_evaluation;
