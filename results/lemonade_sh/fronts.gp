set terminal pngcairo size 900,600 noenhanced
set output 'results/lemonade_sh/fronts.png'
set datafile separator ','
set logscale x
set xlabel 'parameters'
set ylabel 'validation error'
set title 'LEMONADE: final fronts with equal vs successive-halving training of accepted children (seeds 1-3)'
plot for [v in 'lemonade lemonade_sh'] 'results/lemonade_sh/fronts.csv' using (strcol(1) eq v ? $4 : NaN):3 with points pt 7 ps 0.8 title v
