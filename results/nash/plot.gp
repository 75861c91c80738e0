# Accuracy vs parameters of every run's final network (runs.csv from nash_fashion_mnist).
# gnuplot -e "in='results/nash/runs.csv'; out='results/nash/accuracy_vs_params.png'" results/nash/plot.gp
set terminal pngcairo size 800,500
set output out
set datafile separator ','
set key bottom right
set xlabel 'parameters of the final network'
set ylabel 'test accuracy'
set grid
plot for [v in "nash sh shr shrsep"] in every ::1 using ($6):(strcol(1) eq v ? $5 : NaN) with points pt 7 ps 1.5 title v
