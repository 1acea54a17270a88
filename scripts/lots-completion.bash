# Bash completion for lots(1), the Lotsbok command-line client.
# Install: source this file, or copy it to /usr/share/bash-completion/completions/lots.

_lots()
{
    local cur prev words cword
    # A URL's colon ("--server http://host:8080") is a word break for bash: with
    # bash-completion, -n : keeps such a word whole; without it the pieces are
    # skipped below.
    if declare -F _init_completion >/dev/null; then
        _init_completion -n : || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi

    local commands="login logout auth whoami company case contact handoff followups followup
        inbox ack decide indicators report improvement meeting user backup search help"
    local common="--json --server --help"
    local units="bygglov miljo livsmedel serveringstillstand raddningstjanst gata_park upphandling"

    # The command words, skipping common options (and the pieces of a URL)
    # before them.
    local i cmd="" sub=""
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --server)
                ((i++))
                while ((i + 1 < cword)) && [[ ${words[i+1]} == : || ${words[i]} == : ]]; do
                    ((i++))
                done ;;
            -*) ;;
            *) if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $sub ]]; then sub=${words[i]}; fi ;;
        esac
    done

    # Values of options.
    case $prev in
        --status)
            case $cmd in
                case) COMPREPLY=($(compgen -W "open closed" -- "$cur")) ;;
                inbox) COMPREPLY=($(compgen -W "sent acknowledged decided withdrawn" -- "$cur")) ;;
                followup) COMPREPLY=($(compgen -W "done no_answer declined" -- "$cur")) ;;
                improvement) COMPREPLY=($(compgen -W "identified implemented dropped" -- "$cur")) ;;
            esac
            return ;;
        --type) COMPREPLY=($(compgen -W "foretag arende kontakt overlamning" -- "$cur")); return ;;
        --category) COMPREPLY=($(compgen -W "establishment expansion permit premises_land
            procurement recruitment other" -- "$cur")); return ;;
        --channel) COMPREPLY=($(compgen -W "phone email visit meeting video" -- "$cur")); return ;;
        --direction) COMPREPLY=($(compgen -W "inbound outbound" -- "$cur")); return ;;
        --outcome) COMPREPLY=($(compgen -W "resolved referred withdrawn no_action" -- "$cur")); return ;;
        --decision) COMPREPLY=($(compgen -W "granted refused advice_given withdrawn other" -- "$cur")); return ;;
        --unit) COMPREPLY=($(compgen -W "$units" -- "$cur")); return ;;
        --role) COMPREPLY=($(compgen -W "admin lots handler viewer" -- "$cur")); return ;;
        --format) COMPREPLY=($(compgen -W "html csv json" -- "$cur")); return ;;
        --password-file|-o|--output|--to|--data) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --server|--orgnr|--name|--subject|--summary|--note|--title|--description|--reference|\
        --minutes|--at|--quarter|--answer|--comment|--contact|--company|--owner|--locality|\
        --sni|--limit|--after|--followup) return ;;
    esac

    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "$commands $common --version" -- "$cur"))
        return
    fi

    local subs="" opts=""
    case $cmd in
        company) subs="add show find"
            case $sub in add) opts="--orgnr --name --locality --sni --contact" ;; esac ;;
        case) subs="open show list close reopen"
            case $sub in
                open) opts="--company --subject --category --description --at" ;;
                list) opts="--status --mine --owner --company --limit --after" ;;
                close) opts="--outcome --note --at" ;;
            esac ;;
        contact) subs="log"; opts="--channel --direction --summary --minutes --at" ;;
        followup) subs="show record correct"
            case $sub in
                record) opts="--status --answer --comment --channel" ;;
                correct) opts="--answer" ;;
            esac ;;
        auth) subs="status" ;;
        meeting) subs="add list show attend evaluate"
            case $sub in
                add) opts="--kind --title --at --place --unit --action --need --proposal --input --notes" ;;
                list) opts="--kind --year --company" ;;
                show) opts="--sheet" ;;
                attend) opts="--company --new --staff --remove" ;;
                evaluate) opts="--relevant --knowledge --comment --company" ;;
            esac ;;
        improvement) subs="add list done"
            case $sub in
                add) opts="--title --unit --description --followup" ;;
                list) opts="--status --limit --after" ;;
            esac ;;
        user) subs="add list disable"
            case $sub in add) opts="--role --unit --password-file" ;; esac ;;
        login) opts="--password-file" ;;
        handoff)
            if [[ -z $sub && $cur != -* ]]; then
                COMPREPLY=($(compgen -W "withdraw" -- "$cur"))
                return
            fi
            if [[ $sub == withdraw ]]; then opts="--note"; else opts="--unit --note"; fi ;;
        search) opts="--type --limit --after" ;;
        followups) opts="--all" ;;
        inbox) opts="--unit --overdue --status --all --limit --after" ;;
        ack) opts="--reference" ;;
        decide) opts="--decision --note --at" ;;
        indicators) opts="--quarter" ;;
        report) opts="--quarter --format -o" ;;
        backup) opts="--to --data" ;;
        help) COMPREPLY=($(compgen -W "$commands" -- "$cur")); return ;;
    esac
    if [[ -n $subs && -z $sub ]]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
        return
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts $common" -- "$cur"))
    fi
}
complete -F _lots lots
