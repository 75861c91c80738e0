moo_add_example(nsga2_zdt1 moo ARGS --generations 40 --out out_nsga2_zdt1)
