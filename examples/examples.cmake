moo_add_example(nsga2_zdt1 moo ARGS --generations 40 --out out_nsga2_zdt1)
moo_add_example(train_fashion_mnist nas ARGS --epochs 1 --train-limit 2048 --test-limit 512)
moo_add_example(morphism_chain nas ARGS --steps 8 --out out_morphism_chain)
moo_add_example(morphism_distill nas ARGS --train-limit 1024 --test-limit 256 --epochs 1 --kd-epochs 1)
moo_add_example(long_run moo ARGS --generations 60 --out out_long_run)
moo_add_example(lemonade_fashion_mnist nas ARGS --minutes 2 --generations 2 --train-limit 1000 --validation 300 --test-limit 300 --children 4 --accepted 2 --initial 2 --epochs 0.3 --initial-epochs 0.5 --out out_lemonade)
moo_add_example(lemonade_custom nas ARGS --generations 2)
moo_add_example(lemonade_study nas ARGS --seeds 1 --max-children 2 --train-limit 400 --validation 200 --children 4 --accepted 2 --initial 2 --epochs 0.2 --initial-epochs 0.3 --out out_lemonade_study)
moo_add_example(lemonade_inheritance nas ARGS --parent-epochs 0.3 --max-epochs 0.5 --train-limit 400 --validation 200 --threads 1 --out out_lemonade_inheritance)
# The demo killed with SIGKILL at arbitrary moments resumes to the uninterrupted front (bit for bit).
if(TARGET lemonade_fashion_mnist)
  add_test(NAME lemonade_kill_resume
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/scripts/lemonade_kill_resume.sh
                   $<TARGET_FILE:lemonade_fashion_mnist> ${CMAKE_CURRENT_BINARY_DIR}/lemonade_kill_resume)
  set_tests_properties(lemonade_kill_resume PROPERTIES TIMEOUT 300 PROCESSORS 2)
endif()
moo_add_example(nash_fashion_mnist nas ARGS --variant all --runs 1 --steps 2 --neighbours 3 --morphisms 2 --step-epochs 0.3 --pretrain-epochs 0.2 --train-limit 500 --validation 200 --test-limit 200 --out out_nash)
