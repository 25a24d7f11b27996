# Reads "a<TAB>b" lines; prints -1, 0 or 1 as Gem::Version#<=> orders them,
# or E when either is not a valid gem version.
require 'rubygems'
STDIN.each_line do |line|
  a, b = line.chomp.split("\t", -1)
  begin
    puts(Gem::Version.new(a) <=> Gem::Version.new(b))
  rescue ArgumentError
    puts 'E'
  end
end
