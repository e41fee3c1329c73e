module certkeeper/loadgen

go 1.22
