module citebot

go 1.26

require (
	github.com/go-telegram/bot v1.19.0 // indirect
	github.com/kljensen/snowball v0.10.0 // indirect
	github.com/philippgille/chromem-go v0.7.0 // indirect
	github.com/sashabaranov/go-openai v1.43.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
