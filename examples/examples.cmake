moo_add_example(nsga2_zdt1 moo ARGS --generations 40 --out out_nsga2_zdt1)
moo_add_example(train_fashion_mnist nas ARGS --epochs 1 --train-limit 2048 --test-limit 512
                SANITIZE_ARGS --epochs 1 --train-limit 256 --test-limit 128)
moo_add_example(morphism_chain nas ARGS --steps 8 --out out_morphism_chain)
moo_add_example(morphism_distill nas ARGS --train-limit 1024 --test-limit 256 --epochs 1 --kd-epochs 1
                SANITIZE_ARGS --train-limit 128 --test-limit 64 --epochs 1 --kd-epochs 1)
moo_add_example(long_run moo ARGS --generations 60 --out out_long_run)
moo_add_example(lemonade_fashion_mnist nas ARGS --minutes 2 --generations 2 --train-limit 1000 --validation 300 --test-limit 300 --children 4 --accepted 2 --initial 2 --epochs 0.3 --initial-epochs 0.5 --out out_lemonade
                SANITIZE_ARGS --minutes 2 --generations 1 --train-limit 200 --validation 100 --test-limit 100 --children 2 --accepted 1 --initial 2 --epochs 0.3 --initial-epochs 0.3 --out out_lemonade)
moo_add_example(lemonade_custom nas ARGS --generations 2)
moo_add_example(lemonade_study nas ARGS --seeds 1 --max-children 2 --train-limit 400 --validation 200 --children 4 --accepted 2 --initial 2 --epochs 0.2 --initial-epochs 0.3 --out out_lemonade_study
                SANITIZE_ARGS --seeds 1 --max-children 1 --train-limit 150 --validation 100 --children 2 --accepted 1 --initial 2 --epochs 0.2 --initial-epochs 0.3 --out out_lemonade_study)
moo_add_example(lemonade_inheritance nas ARGS --parent-epochs 0.3 --max-epochs 0.5 --train-limit 400 --validation 200 --threads 1 --out out_lemonade_inheritance
                SANITIZE_ARGS --parent-epochs 0.3 --max-epochs 0.3 --train-limit 150 --validation 100 --threads 1 --distill-steps 5 --out out_lemonade_inheritance)
# The demo killed with SIGKILL at arbitrary moments resumes to the uninterrupted front (bit for bit).
if(TARGET lemonade_fashion_mnist)
  add_test(NAME lemonade_kill_resume
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/scripts/lemonade_kill_resume.sh
                   $<TARGET_FILE:lemonade_fashion_mnist> ${CMAKE_CURRENT_BINARY_DIR}/lemonade_kill_resume
                   $<$<BOOL:${MOO_SANITIZE}>:small>)
  set_tests_properties(lemonade_kill_resume PROPERTIES TIMEOUT 300 PROCESSORS 2)
endif()
moo_add_example(nash_fashion_mnist nas ARGS --variant all --runs 1 --steps 2 --neighbours 3 --morphisms 2 --step-epochs 0.3 --pretrain-epochs 0.2 --train-limit 500 --validation 200 --test-limit 200 --out out_nash
                SANITIZE_ARGS --variant all --runs 1 --steps 1 --neighbours 2 --morphisms 1 --step-epochs 0.2 --pretrain-epochs 0.2 --train-limit 150 --validation 100 --test-limit 100 --out out_nash)
# The command line is checked before anything runs (examples/args.hpp): --help prints the options and
# exits, an unknown option, a missing value or a malformed number is refused with its name (status 2 or 1).
function(moo_example_cli_test name example regex)
  if(TARGET ${example})
    add_test(NAME ${name} COMMAND ${example} ${ARGN} WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
    set_tests_properties(${name} PROPERTIES PASS_REGULAR_EXPRESSION "${regex}" TIMEOUT 20)
  endif()
endfunction()
foreach(e lemonade_fashion_mnist lemonade_inheritance lemonade_study morphism_distill nash_fashion_mnist train_fashion_mnist)
  moo_example_cli_test(example_${e}_help ${e} "usage: ${e} \\[--" --help)
endforeach()
moo_example_cli_test(example_cli_unknown_option lemonade_fashion_mnist
                     "lemonade_fashion_mnist: unknown option '--minute'.*usage:" --minute 1)
moo_example_cli_test(example_cli_missing_value nash_fashion_mnist "option --out needs a value" --steps 1 --out)
moo_example_cli_test(example_cli_stray_argument lemonade_study "unexpected argument 'lemonade'" lemonade)
moo_example_cli_test(example_cli_bad_integer train_fashion_mnist
                     "option --epochs: '3x' is not a non-negative integer" --epochs 3x)
moo_example_cli_test(example_cli_negative_integer morphism_distill
                     "option --seed: '-1' is not a non-negative integer" --seed -1)
moo_example_cli_test(example_cli_bad_real lemonade_fashion_mnist "option --minutes: 'ten' is not a finite number"
                     --minutes ten --out out_cli_bad_real)
moo_add_example(supernet_fashion_mnist nas ARGS --epochs 0.2 --train-limit 1200 --validation 200 --samples 1 --calibration-batches 2 --out out_supernet.bin
                SANITIZE_ARGS --epochs 0.1 --train-limit 400 --validation 100 --samples 1 --calibration-batches 1 --batch 32 --out out_supernet.bin)
moo_example_cli_test(example_supernet_fashion_mnist_help supernet_fashion_mnist "usage: supernet_fashion_mnist \\[--" --help)
moo_add_example(linas_study nas ARGS --train-limit 1200 --validation 200 --epochs 0.1 --calibration-batches 2 --seeds 1 --budget 14 --population 6 --inner-generations 5 --predictor-samples 10,20 --held-out 10 --out out_linas_study
                SANITIZE_ARGS --train-limit 400 --validation 100 --epochs 0.05 --calibration-batches 1 --objectives error-macs --seeds 1 --budget 12 --population 6 --inner-generations 3 --predictor-samples 10 --held-out 6 --out out_linas_study)
moo_example_cli_test(example_linas_study_help linas_study "usage: linas_study \\[--" --help)
moo_add_example(modnas_fashion_mnist nas ARGS --steps 12 --warmup 4 --batch 32 --channels 4 --nodes 2 --search-train 640 --search-val 320 --eval-train 320 --test-limit 200 --epochs 0.5 --preferences 3 --random-max 3 --hidden 8 --timing-repeats 2 --out out_modnas
                SANITIZE_ARGS --steps 4 --warmup 2 --batch 16 --channels 2 --cells 1 --nodes 2 --search-train 160 --search-val 80 --eval-train 80 --test-limit 50 --epochs 0.2 --preferences 2 --random-max 2 --hidden 4 --timing-repeats 1 --out out_modnas)
moo_example_cli_test(example_modnas_fashion_mnist_help modnas_fashion_mnist "usage: modnas_fashion_mnist \\[--" --help)
