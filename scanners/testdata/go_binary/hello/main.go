package main

import (
	"fmt"

	"example.com/dep"
	"example.com/greet"
)

func main() { fmt.Println(greet.Hello(), dep.Name()) }
