set terminal pngcairo size 2000,1350 noenhanced font ',10'
set output 'bench/results/layout/xfs/chart.png'
set datafile missing '?'
set logscale x 10
set logscale y 10
set xlabel 'files in the store'
set ylabel 'µs per operation'
set key top left
set grid
set multiplot layout 3,4 title 'cas layout benchmark, xfs, warm cache (dashed: the syscall floor)'
set title 'insert'
plot 'bench/results/layout/xfs/chart.dat' index 0 using 1:2 with linespoints lw 2 lc 1 title 'v0', 'bench/results/layout/xfs/chart.dat' index 0 using 1:3 with lines dt 2 lc 1 notitle, 'bench/results/layout/xfs/chart.dat' index 0 using 1:4 with linespoints lw 2 lc 2 title 'v1', 'bench/results/layout/xfs/chart.dat' index 0 using 1:5 with lines dt 2 lc 2 notitle, 'bench/results/layout/xfs/chart.dat' index 0 using 1:6 with linespoints lw 2 lc 3 title 'fanout:2,2', 'bench/results/layout/xfs/chart.dat' index 0 using 1:7 with lines dt 2 lc 3 notitle
set title 'insert_fsync'
plot 'bench/results/layout/xfs/chart.dat' index 1 using 1:2 with linespoints lw 2 lc 1 title 'v0', 'bench/results/layout/xfs/chart.dat' index 1 using 1:3 with lines dt 2 lc 1 notitle, 'bench/results/layout/xfs/chart.dat' index 1 using 1:4 with linespoints lw 2 lc 2 title 'v1', 'bench/results/layout/xfs/chart.dat' index 1 using 1:5 with lines dt 2 lc 2 notitle, 'bench/results/layout/xfs/chart.dat' index 1 using 1:6 with linespoints lw 2 lc 3 title 'fanout:2,2', 'bench/results/layout/xfs/chart.dat' index 1 using 1:7 with lines dt 2 lc 3 notitle
set title 'insert_full'
plot 'bench/results/layout/xfs/chart.dat' index 2 using 1:2 with linespoints lw 2 lc 1 title 'v0', 'bench/results/layout/xfs/chart.dat' index 2 using 1:3 with lines dt 2 lc 1 notitle, 'bench/results/layout/xfs/chart.dat' index 2 using 1:4 with linespoints lw 2 lc 2 title 'v1', 'bench/results/layout/xfs/chart.dat' index 2 using 1:5 with lines dt 2 lc 2 notitle, 'bench/results/layout/xfs/chart.dat' index 2 using 1:6 with linespoints lw 2 lc 3 title 'fanout:2,2', 'bench/results/layout/xfs/chart.dat' index 2 using 1:7 with lines dt 2 lc 3 notitle
set title 'insert_batch'
plot 'bench/results/layout/xfs/chart.dat' index 3 using 1:2 with linespoints lw 2 lc 1 title 'v0', 'bench/results/layout/xfs/chart.dat' index 3 using 1:3 with lines dt 2 lc 1 notitle, 'bench/results/layout/xfs/chart.dat' index 3 using 1:4 with linespoints lw 2 lc 2 title 'v1', 'bench/results/layout/xfs/chart.dat' index 3 using 1:5 with lines dt 2 lc 2 notitle, 'bench/results/layout/xfs/chart.dat' index 3 using 1:6 with linespoints lw 2 lc 3 title 'fanout:2,2', 'bench/results/layout/xfs/chart.dat' index 3 using 1:7 with lines dt 2 lc 3 notitle
set title 'remove'
plot 'bench/results/layout/xfs/chart.dat' index 4 using 1:2 with linespoints lw 2 lc 1 title 'v0', 'bench/results/layout/xfs/chart.dat' index 4 using 1:3 with lines dt 2 lc 1 notitle, 'bench/results/layout/xfs/chart.dat' index 4 using 1:4 with linespoints lw 2 lc 2 title 'v1', 'bench/results/layout/xfs/chart.dat' index 4 using 1:5 with lines dt 2 lc 2 notitle, 'bench/results/layout/xfs/chart.dat' index 4 using 1:6 with linespoints lw 2 lc 3 title 'fanout:2,2', 'bench/results/layout/xfs/chart.dat' index 4 using 1:7 with lines dt 2 lc 3 notitle
set title 'open_hit'
plot 'bench/results/layout/xfs/chart.dat' index 5 using 1:2 with linespoints lw 2 lc 1 title 'v0', 'bench/results/layout/xfs/chart.dat' index 5 using 1:3 with lines dt 2 lc 1 notitle, 'bench/results/layout/xfs/chart.dat' index 5 using 1:4 with linespoints lw 2 lc 2 title 'v1', 'bench/results/layout/xfs/chart.dat' index 5 using 1:5 with lines dt 2 lc 2 notitle, 'bench/results/layout/xfs/chart.dat' index 5 using 1:6 with linespoints lw 2 lc 3 title 'fanout:2,2', 'bench/results/layout/xfs/chart.dat' index 5 using 1:7 with lines dt 2 lc 3 notitle
set title 'open_miss'
plot 'bench/results/layout/xfs/chart.dat' index 6 using 1:2 with linespoints lw 2 lc 1 title 'v0', 'bench/results/layout/xfs/chart.dat' index 6 using 1:3 with lines dt 2 lc 1 notitle, 'bench/results/layout/xfs/chart.dat' index 6 using 1:4 with linespoints lw 2 lc 2 title 'v1', 'bench/results/layout/xfs/chart.dat' index 6 using 1:5 with lines dt 2 lc 2 notitle, 'bench/results/layout/xfs/chart.dat' index 6 using 1:6 with linespoints lw 2 lc 3 title 'fanout:2,2', 'bench/results/layout/xfs/chart.dat' index 6 using 1:7 with lines dt 2 lc 3 notitle
set title 'open_hit_cold'
plot 'bench/results/layout/xfs/chart.dat' index 7 using 1:2 with linespoints lw 2 lc 1 title 'v0', 'bench/results/layout/xfs/chart.dat' index 7 using 1:3 with lines dt 2 lc 1 notitle, 'bench/results/layout/xfs/chart.dat' index 7 using 1:4 with linespoints lw 2 lc 2 title 'v1', 'bench/results/layout/xfs/chart.dat' index 7 using 1:5 with lines dt 2 lc 2 notitle, 'bench/results/layout/xfs/chart.dat' index 7 using 1:6 with linespoints lw 2 lc 3 title 'fanout:2,2', 'bench/results/layout/xfs/chart.dat' index 7 using 1:7 with lines dt 2 lc 3 notitle
set title 'open_miss_cold'
plot 'bench/results/layout/xfs/chart.dat' index 8 using 1:2 with linespoints lw 2 lc 1 title 'v0', 'bench/results/layout/xfs/chart.dat' index 8 using 1:3 with lines dt 2 lc 1 notitle, 'bench/results/layout/xfs/chart.dat' index 8 using 1:4 with linespoints lw 2 lc 2 title 'v1', 'bench/results/layout/xfs/chart.dat' index 8 using 1:5 with lines dt 2 lc 2 notitle, 'bench/results/layout/xfs/chart.dat' index 8 using 1:6 with linespoints lw 2 lc 3 title 'fanout:2,2', 'bench/results/layout/xfs/chart.dat' index 8 using 1:7 with lines dt 2 lc 3 notitle
unset multiplot
