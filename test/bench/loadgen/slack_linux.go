package main

import "syscall"

const prSetTimerSlack = 29

// setTimerSlack sets how late (ns) the kernel may wake this thread from a sleep (default 50 µs).
func setTimerSlack(ns uintptr) {
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, ns, 0)
}
