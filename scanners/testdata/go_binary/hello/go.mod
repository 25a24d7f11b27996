module example.com/hello

go 1.19

require (
	example.com/greet v1.2.0
	example.com/dep v1.4.0
)

replace example.com/greet v1.2.0 => ./greet
